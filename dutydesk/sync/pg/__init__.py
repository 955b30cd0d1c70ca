"""The PostgreSQL side of sync: the only DutyDesk code that imports psycopg."""

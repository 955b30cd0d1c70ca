"""The features one signed-in session adds to the main window, held by the window as one
object (``MainWindow.features``). ``ui.session.install_features`` builds them for what the
person's role and the settings allow; a feature left out stays None."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: followthrough_wiring builds on the main window, and
    # sync and the watched folder load only in a session that uses them
    from .folder_watch import WatchedFolder
    from .followthrough_wiring import FollowThroughActions
    from .screen_lock import ScreenLock
    from .sync_controller import SyncController
    from .verify_dialog import VerifyAction


@dataclass
class WindowFeatures:
    verifier: VerifyAction | None = None  # Tools > Verify a document or export
    followthrough: FollowThroughActions | None = None  # the Follow-through menu's actions
    screen_lock: ScreenLock | None = None  # when Settings.lock_after_minutes is set
    watched_folder: WatchedFolder | None = None  # when Settings.watch_folder is set
    sync_controller: SyncController | None = None  # shared mode only

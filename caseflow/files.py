"""Files and folders CaseFlow creates for its data: readable by its own account only.

Data folders are created 0700 and data files 0600, whatever the process umask: the database
file, the instance folder's keys, evidence blobs and packets hold personal data. Must not
import flask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path | str) -> Path:
    """Create `path` and any missing parents with mode 0700; existing folders are left as
    they are (an administrator may have chosen them). Returns the path."""
    path = Path(path)
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            with contextlib.suppress(FileExistsError):  # made meanwhile by another process
                folder.mkdir(mode=DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create an empty file with mode 0600 (and its folder 0700) unless it exists."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    return path

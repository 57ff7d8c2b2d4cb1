"""The benchmark files as their authors publish them: text members of (AES-encrypted) zip archives.

One reader for every feature that opens a benchmark archive: the evaluation builds TeleQnA's items from
TeleQnA.zip, and the data pipeline's decontamination indexes every benchmark file, zips included. The
authors encrypt some archives to keep them out of web crawls and publish the password; the environment
variable named here overrides it (for a re-published archive) for both users alike.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from telecomgpt.errors import UserError

TEXT_SUFFIXES = (".json", ".jsonl", ".txt")
PUBLISHED_PASSWORDS: dict[str, tuple[str, str]] = {"teleqna.zip": ("TELEQNA_PASSWORD", "teleqnadataset")}
"""lower-cased archive name -> (environment variable that overrides it, the password the authors published)"""


def zip_password(path: str | Path) -> bytes | None:
    """The password of a benchmark archive: its environment variable, else the published one; None if none."""
    entry = PUBLISHED_PASSWORDS.get(Path(path).name.lower())
    if entry is None:
        return None
    variable, published = entry
    return os.environ.get(variable, published).encode()


def zip_texts(path: str | Path, suffixes: tuple[str, ...] = TEXT_SUFFIXES) -> Iterator[tuple[str, str]]:
    """(member name, UTF-8 text) of every member whose name ends in `suffixes`, in archive order,
    decrypted with `zip_password`; an unreadable archive or a wrong password is a one-line UserError."""
    import pyzipper  # lazy: pyzipper + pycryptodome, ~30 ms (keeps `telecomgpt --help` fast)

    path = Path(path)
    try:
        archive = pyzipper.AESZipFile(path)
    except (pyzipper.BadZipFile, zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"benchmark zip is unreadable: {path} ({exc})") from None
    entry = PUBLISHED_PASSWORDS.get(path.name.lower())
    hint = f"set {entry[0]} to the published password" if entry else \
        "unzip it yourself and pass the extracted file"
    with archive:
        password = zip_password(path)
        if password:
            archive.setpassword(password)
        for member in archive.namelist():
            if member.endswith("/") or not member.lower().endswith(suffixes):
                continue
            try:
                data = archive.read(member)
            except RuntimeError as exc:  # encrypted and no/wrong password
                raise UserError(f"cannot decrypt {member} in {path}: {exc}", hint=hint) from None
            except (pyzipper.BadZipFile, zipfile.BadZipFile, OSError) as exc:
                raise UserError(f"benchmark zip is unreadable: {path} ({exc})") from None
            yield member, data.decode("utf-8")

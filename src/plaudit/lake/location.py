"""Where a lake lives: a local directory, or any fsspec URL (s3://, gs://, memory://...)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from plaudit.errors import InvalidInput, MissingDependency

__all__ = ["Location"]


@dataclass(frozen=True)
class Location:
    """A filesystem and the lake's root on it; paths inside are joined with '/'."""

    fs: pafs.FileSystem
    root: str

    @classmethod
    def of(cls, url: str) -> Location:
        if not url.strip():
            raise InvalidInput(
                "the lake location is empty: give a directory or a URL", field="lake"
            )
        if "://" not in url or url.startswith("file://"):
            local = Path(url.removeprefix("file://")).expanduser().resolve()
            return cls(pafs.LocalFileSystem(), local.as_posix())
        return cls._fsspec(url)

    @classmethod
    def _fsspec(cls, url: str) -> Location:
        try:
            import fsspec
        except ImportError:
            raise MissingDependency(
                f"{url}: a lake at a URL needs fsspec: pip install 'plaudit[lake]' "
                "(and the fsspec driver of that scheme, e.g. s3fs for s3://)"
            ) from None
        try:
            fs, root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise InvalidInput(
                f"{url}: cannot open this lake location: {exc}", field="lake"
            ) from None
        return cls(pafs.PyFileSystem(pafs.FSSpecHandler(fs)), str(root).rstrip("/"))

    def path(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write a whole file: to a temporary name, then moved over the final one."""
        final = self.path(relative)
        self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
        temporary = final + ".tmp"
        with self.fs.open_output_stream(temporary) as stream:
            stream.write(data)
        self.fs.move(temporary, final)

    def read_bytes(self, relative: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(self.path(relative)) as stream:
                return bytes(stream.read())
        except FileNotFoundError:
            return None

    def files_under(self, relative: str) -> list[str]:
        """Every file below a folder, as paths relative to the lake's root."""
        selector = pafs.FileSelector(self.path(relative), allow_not_found=True, recursive=True)
        prefix = self.root + "/"
        return [
            info.path.removeprefix(prefix)
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
        ]

    def delete(self, relative: str) -> None:
        self.fs.delete_file(self.path(relative))

"""Output files: atomic replacement, links, devices and pipes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from derivation.errors import DerivationError
from derivation.files import write_output


def test_new_file_is_written(tmp_path):
    target = tmp_path / "out.tex"
    write_output(target, "text")
    assert target.read_text() == "text"


def test_no_temporary_file_is_left(tmp_path):
    write_output(tmp_path / "out.tex", "text")
    assert [path.name for path in tmp_path.iterdir()] == ["out.tex"]


def test_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.tex"
    real.write_text("old")
    link = tmp_path / "link.tex"
    link.symlink_to(real)
    write_output(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_device_is_written_in_place():
    write_output("/dev/null", "text")
    assert Path("/dev/null").is_char_device()


def test_named_pipe_is_written_in_place(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    write_output(pipe, "through the pipe")
    reader.join(timeout=10)
    assert received == ["through the pipe"]
    assert not pipe.is_file()


def test_folder_is_rejected(tmp_path):
    with pytest.raises(DerivationError) as raised:
        write_output(tmp_path, "text")
    assert str(raised.value) == f"cannot write {tmp_path}: it is a folder"


def test_empty_path_is_rejected():
    with pytest.raises(DerivationError) as raised:
        write_output("", "text")
    assert str(raised.value) == "the output path is empty; give a file name"

"""The Node.js notice: one readable line on a release past end of life, nothing otherwise."""

from __future__ import annotations

import pytest

from infra import node_runtime


@pytest.mark.parametrize(
    ("version", "silenced", "told", "silence_after"),
    [
        ("v20.20.2", "", True, "20"),
        ("v18.19.0", "16", True, "16,18"),
        ("v20.20.2", "20", False, "20"),
        ("v22.11.0", "", False, ""),
        ("v24.1.0", "", False, ""),
    ],
)
def test_an_old_node_is_told_once_as_text_and_jsii_banner_silenced(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    version: str,
    silenced: str,
    told: bool,
    silence_after: str,
) -> None:
    monkeypatch.setattr(node_runtime, "node_major", lambda node: (int(version[1:].split(".")[0]), version))
    environ = {node_runtime.SILENCE: silenced} if silenced else {}

    line = node_runtime.notice_old_node(environ)

    assert (line is not None) == told
    stderr = capsys.readouterr().err
    if told:
        assert stderr == f"{line}\n"
        assert f"Node.js {version} is past its end of life" in stderr
        assert "Node.js 22 or later" in stderr
    else:
        assert stderr == ""
    assert environ.get(node_runtime.SILENCE, "") == silence_after


def test_no_node_says_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"JSII_NODE": "/nonexistent/node"}
    assert node_runtime.notice_old_node(environ) is None
    assert capsys.readouterr().err == ""


def test_the_makefile_helper_says_it_once_and_prints_the_silence_for_the_next_synths(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given Node.js 20, not silenced (the first synth of `make test`)
    monkeypatch.setattr(node_runtime, "node_major", lambda node: (20, "v20.20.2"))
    monkeypatch.delenv(node_runtime.SILENCE, raising=False)
    node_runtime.main()
    first = capsys.readouterr()
    assert "Node.js v20.20.2 is past its end of life" in first.err
    assert first.out == "20\n"  # what the recipe exports for the synths after it
    # When the next synths run with that value: nothing more is said
    monkeypatch.setenv(node_runtime.SILENCE, first.out.strip())
    node_runtime.main()
    assert capsys.readouterr().err == ""

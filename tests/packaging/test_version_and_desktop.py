"""The version comes from CHANGELOG.md; the desktop entry is valid."""

import configparser
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import version  # noqa: E402


def test_package_version_is_the_changelog_version():
    import c2core

    assert c2core.__version__ == version.changelog_version()


def test_changelog_version_parsing():
    assert version.changelog_version("# C\n\n## [2.3.4] - 2027-01-01\n## [2.3.3]\n") == "2.3.4"


def test_desktop_entry_fields():
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(ROOT / "packaging" / "linux" / "caffe2-studio.desktop")
    e = cp["Desktop Entry"]
    assert e["Type"] == "Application" and e["Exec"].startswith("c2studio")
    assert e["Icon"] == "caffe2-studio"
    assert (ROOT / "resources" / "icons" / "c2studio.svg").is_file()
    assert (ROOT / "resources" / "icons" / "c2studio.png").is_file()


def test_desktop_entry_passes_desktop_file_validate():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        import pytest

        pytest.skip("desktop-file-validate (Debian desktop-file-utils) not installed")
    r = subprocess.run([tool, str(ROOT / "packaging" / "linux" / "caffe2-studio.desktop")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error" not in (r.stdout + r.stderr).lower()

"""Settings: config.toml, CIVICBOT_* overrides, and clear refusals of unusable values."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_overrides_the_file_with_the_right_type(tmp_path):
    path = write(tmp_path, '[server]\nport = 8000\n[database]\nurl = "sqlite:///var/a.db"\n')
    settings = load_config(path, environ={"CIVICBOT_SERVER_PORT": "9001",
                                          "CIVICBOT_DATABASE_URL": "postgresql+psycopg://u@localhost/civicbot"})
    assert settings.server.port == 9001
    assert settings.database.url == "postgresql+psycopg://u@localhost/civicbot"


def test_relative_sqlite_and_data_paths_are_taken_from_the_config_folder(tmp_path):
    settings = load_config(write(tmp_path, ""), environ={})
    assert settings.database.url == f"sqlite:///{tmp_path}/var/civicbot.db"
    assert settings.data.categories == tmp_path / "data" / "categories.toml"


@pytest.mark.parametrize("text, environ, complaint", [
    ("[wechat]\nmode = \"safe\"\n", {}, "encoding_aes_key"),
    ("[wechat]\nmode = \"turbo\"\n", {}, "wechat.mode"),
    ("", {"CIVICBOT_SERVER_PORT": "eighty"}, "CIVICBOT_SERVER_PORT"),
    ("[server\nport = 1", {}, "config.toml"),
])
def test_unusable_settings_are_refused_with_a_reason(tmp_path, text, environ, complaint):
    with pytest.raises(ConfigError, match=complaint):
        load_config(write(tmp_path, text), environ=environ)


def test_the_example_config_is_the_demo_setup():
    from pathlib import Path
    settings = load_config(Path(__file__).resolve().parent.parent / "config.example.toml", environ={})
    assert settings.wechat.token == "civicbot-dev-token" and settings.wechat.mode == "plain"
    assert settings.server.port == 8000 and settings.server.workers == 2
    assert settings.wechat.app_secret == "" and settings.wechat.encoding_aes_key == ""

"""Settings from the environment: defaults, and one clear sentence when one is wrong."""

import pytest

from webapp.config import ConfigError, from_environment


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "SENDGRID_API_KEY",
        "BASE_URL",
        "SERVER_NAME",
        "CONVENE_ENV",
        "SENDGRID_API_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_embedded_defaults(env, tmp_path):
    config = from_environment(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'convene.sqlite3'}"
    assert config["REDIS_URL"] == ""
    assert config["SENDGRID_API_KEY"] == ""
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    # The generated secret is kept and reused.
    assert len(config["SECRET_KEY"]) > 30
    assert from_environment(tmp_path)["SECRET_KEY"] == config["SECRET_KEY"]


def test_postgres_url_gets_the_driver(env, tmp_path):
    env.setenv("DATABASE_URL", "postgres://u:p@db:5432/convene")
    assert (
        from_environment(tmp_path)["SQLALCHEMY_DATABASE_URI"]
        == "postgresql+psycopg://u:p@db:5432/convene"
    )


@pytest.mark.parametrize(
    ("settings", "sentence"),
    [
        ({"CONVENE_ENV": "production"}, "SECRET_KEY is required"),
        ({"CONVENE_ENV": "production", "SECRET_KEY": "x" * 40}, "BASE_URL"),
        (
            {"CONVENE_ENV": "production", "SECRET_KEY": "x" * 40, "BASE_URL": "https://c.org"},
            "REDIS_URL is required",
        ),
        ({"SECRET_KEY": "short"}, "at least 16"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL"),
        ({"SENDGRID_API_HOST": "nohost"}, "SENDGRID_API_HOST must be a URL"),
        ({"CONVENE_ENV": "staging"}, "CONVENE_ENV must be"),
    ],
)
def test_bad_settings_stop_with_one_sentence(env, tmp_path, settings, sentence):
    for name, value in settings.items():
        env.setenv(name, value)
    with pytest.raises(ConfigError, match=sentence):
        from_environment(tmp_path)


def test_create_app_exits_cleanly_on_bad_config(env, capsys):
    from webapp import create_app

    env.setenv("DATABASE_URL", "mysql://x/y")
    with pytest.raises(SystemExit) as stop:
        create_app()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Convene cannot start: DATABASE_URL must be")
    assert "Traceback" not in err


def test_trusted_proxies_must_be_a_small_number(env, tmp_path):
    env.setenv("TRUSTED_PROXIES", "many")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        from_environment(tmp_path)
    env.setenv("TRUSTED_PROXIES", "2")
    assert from_environment(tmp_path)["TRUSTED_PROXIES"] == 2


def test_unix_socket_redis_url_is_accepted(env, tmp_path):
    env.setenv("REDIS_URL", "unix:///run/redis.sock")
    assert from_environment(tmp_path)["REDIS_URL"] == "unix:///run/redis.sock"

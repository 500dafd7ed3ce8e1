"""Settings: clock times and retry waits checked at load, the web secret
file."""

from __future__ import annotations

import threading

import pytest

from callcenter.config import ConfigError, Settings, load_settings


@pytest.mark.parametrize(
    "name", ["opening_time", "closing_time", "thursday_closing_time"]
)
@pytest.mark.parametrize("value", ["7.30", "25:00", "07:60", "seven", ""])
def test_a_bad_clock_setting_is_refused_at_load(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(environ={f"CALLCENTER_{name.upper()}": value})


def test_clock_settings_take_persian_digits_and_toml_times(tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text("opening_time = 08:00:00\n")

    settings = load_settings(
        environ={"CALLCENTER_CLOSING_TIME": "۱۴:۰۰"}, config_file=str(config)
    )

    assert settings.closing_time == "۱۴:۰۰"


def test_timezone_is_no_setting(tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text('timezone = "Asia/Tehran"\n')

    with pytest.raises(ConfigError, match="unknown settings timezone"):
        load_settings(environ={}, config_file=str(config))


def test_web_secret_file_is_made_private_and_then_reused(tmp_path):
    settings = Settings(data_dir=str(tmp_path))

    key = settings.web_secret()

    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key) == 64
    assert settings.web_secret() == key


def test_processes_racing_for_the_web_secret_agree_on_one_key(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    keys = []
    start = threading.Barrier(8)

    def read_key():
        start.wait()
        keys.append(settings.web_secret())

    threads = [threading.Thread(target=read_key) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert (tmp_path / "secret_key").read_text() == keys[0]


# Retry waits --------------------------------------------------------------------


def test_retry_waits_default_to_minutes_for_sms_and_seconds_for_recordings():
    settings = load_settings(environ={})

    assert settings.notification_retry_intervals == (30, 120, 600)
    assert settings.recording_retry_intervals == (10, 60)


@pytest.mark.parametrize(
    ("value", "waits"),
    [
        (" 5, 20 ,60", (5, 20, 60)),
        ("۵،۲۰", (5, 20)),  # Persian digits and the Persian comma
        ("", ()),  # no retry
    ],
)
def test_retry_waits_read_from_the_environment(value, waits):
    settings = load_settings(environ={"CALLCENTER_RECORDING_RETRY_SECONDS": value})

    assert settings.recording_retry_intervals == waits


def test_retry_waits_read_as_a_toml_array(tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text("notification_retry_seconds = [60, 300]\n")

    settings = load_settings(environ={}, config_file=str(config))

    assert settings.notification_retry_intervals == (60, 300)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30,,600", "expected whole seconds separated by commas"),
        ("30 s", "expected whole seconds separated by commas"),
        ("-5", "expected whole seconds separated by commas"),
        ("1.5", "expected whole seconds separated by commas"),
        ("0", "each wait must be 1 to 86400 s, got 0"),
        ("30,100000", "each wait must be 1 to 86400 s, got 100000"),
    ],
)
@pytest.mark.parametrize(
    "name", ["notification_retry_seconds", "recording_retry_seconds"]
)
def test_a_bad_retry_wait_is_refused_at_load(name, value, message):
    with pytest.raises(ConfigError, match=f"^{name}: {message}"):
        load_settings(environ={f"CALLCENTER_{name.upper()}": value})


def test_a_bad_toml_retry_wait_is_refused(tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text("recording_retry_seconds = [10, true]\n")

    with pytest.raises(ConfigError, match="recording_retry_seconds: expected"):
        load_settings(environ={}, config_file=str(config))


@pytest.mark.parametrize(
    ("name", "value"),
    [("AGI_PORT", "70000"), ("WEB_PORT", "0"), ("AMI_PORT", "-1")],
)
def test_a_port_out_of_range_is_refused_at_load(name, value):
    with pytest.raises(ConfigError, match=f"{name.lower()}: expected a port number"):
        load_settings(environ={f"CALLCENTER_{name}": value})


def test_a_port_of_the_wrong_kind_in_the_file_is_refused_at_load(tmp_path):
    config = tmp_path / "callcenter.toml"

    for line in ("agi_port = 1.5", 'agi_port = "x"', "agi_port = true"):
        config.write_text(line + "\n")
        with pytest.raises(ConfigError, match="agi_port"):
            load_settings(environ={}, config_file=str(config))

    config.write_text("agi_port = 4600\n")
    assert load_settings(environ={}, config_file=str(config)).agi_port == 4600
    assert load_settings(environ={"CALLCENTER_AGI_PORT": "۴۶۰۱"}).agi_port == 4601

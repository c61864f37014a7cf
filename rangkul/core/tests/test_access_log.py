"""The production access log never carries a query string (nor a Referer): no NIK or phone in it."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from rangkul.core.tests.test_views_and_settings import ROOT

NIK = "3374011705900039"


def test_gunicorn_reads_the_projects_access_log_format_and_it_drops_query_and_referer(caplog):
    config = Config()
    namespace: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    config.set("access_log_format", namespace["access_log_format"])
    config.set("accesslog", "-")
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/office/peserta/?q={NIK}",
        "PATH_INFO": "/office/peserta/",
        "QUERY_STRING": f"q={NIK}&phone=081299990001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.1.2.3",
        "HTTP_REFERER": f"https://rangkul.example.org/office/peserta/?q={NIK}",
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[("X-Request-ID", "req-12345678")])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.access_log.propagate = True
        logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    line = caplog.records[-1].getMessage()
    assert '"GET /office/peserta/ HTTP/1.1" 200 1234' in line and "req-12345678" in line
    assert NIK not in line and "0812" not in line and "q=" not in line

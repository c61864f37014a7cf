"""Gunicorn settings for production (`gunicorn config.wsgi`, read through ./gunicorn.conf.py).

The access log leaves query strings and the Referer out: a URL can carry a search term, and a
search term can be a NIK or a phone number. Each line: client, time, method, path (without its
query), status, bytes, duration in microseconds, request id.
"""

import os

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(D)s %({x-request-id}o)s'
accesslog = os.environ.get("RANGKUL_ACCESS_LOG", "-")

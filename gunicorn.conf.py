"""gunicorn settings for choicemap (read from the working directory: `gunicorn choicemap.wsgi`).

Environment: PORT (8000), BIND (0.0.0.0:$PORT), WEB_CONCURRENCY (worker processes, default 2 per core
plus 1), GUNICORN_THREADS (threads per worker, default 4), GUNICORN_TIMEOUT (seconds, default 60).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threads: a request waiting on PostgreSQL or Redis does not hold up a whole process.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections stay open longer than a browser's or proxy's pause between requests: closing
# them sooner races with a client reusing one (connection reset errors under load).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "30"))
# A worker is replaced after this many requests (with jitter), so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Django logs each request as JSON with its request id (LOG_REQUESTS); gunicorn's own access log would
# repeat it unescaped.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The app is imported once in the master, so a broken deployment fails at start, not on first request.
preload_app = True

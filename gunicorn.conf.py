"""gunicorn settings for PSI Forum: one gevent worker per process (Flask-SocketIO needs that).

Scale out with several processes on several ports behind a load balancer with
sticky sessions, all sharing SOCKETIO_MESSAGE_QUEUE (see README).
"""

import gc

worker_class = "gevent"
workers = 1
worker_connections = 2000
timeout = 60
graceful_timeout = 10
# No gunicorn access log: the app writes one JSON line per request (forum/security/requestlog.py, with the
# user and the time taken); a second line from gunicorn cost 3% of a post's CPU (bench/live.py --profile).
accesslog = None
# gunicorn 27's control socket has one default path per user, which several
# processes on one host would fight over; the forum does not use it.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Keep the loaded app out of the garbage collector's full passes (gc.freeze).

    The app and its libraries are about 150,000 long-lived objects, none of them garbage. Each full
    collection walked them all: 110-150 ms in which no socket was written and no request answered,
    twice in bench/live.py's posting run (the post latency's p99). Frozen, a full pass took 20-35 ms.
    """
    gc.freeze()

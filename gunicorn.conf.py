"""gunicorn settings for PSI Forum: one gevent worker per process (Flask-SocketIO needs that).

Scale out with several processes on several ports behind a load balancer with
sticky sessions, all sharing SOCKETIO_MESSAGE_QUEUE (see README).
"""

worker_class = "gevent"
workers = 1
worker_connections = 2000
timeout = 60
graceful_timeout = 10
accesslog = "-"
# gunicorn 27's control socket has one default path per user, which several
# processes on one host would fight over; the forum does not use it.
control_socket_disable = True

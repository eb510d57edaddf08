"""Work off the request path: typed jobs, the executors that run them, and their handlers.

Listeners validate, record what must not be lost, submit a job and return; they never run model
code. `inline` runs jobs on bounded in-process worker threads; `celery` sends them to workers.
"""

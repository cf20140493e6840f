"""Support for the panel cache tests: the Redis fixture, and a small ASGI project.

The project (``settings``, ``urls``, ``asgi``, ``layouts``, ``views``) is what
``tests/test_cache_processes.py`` serves from several uvicorn processes that share
one Redis server, whose URL it reads from ``DJ_LAYOUTS_TEST_REDIS_URL``.
"""

"""A site for the bulkhead tests: pages whose sync panels hang, served by a real uvicorn."""

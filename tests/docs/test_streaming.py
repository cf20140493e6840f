"""The samples of docs/streaming.md run and mean what the page says."""

from __future__ import annotations

from django.test import AsyncRequestFactory

from tests.docs.pages import DocProject, run_block, snippet_blocks

PAGE = "streaming.md"


def run_page() -> dict:
    namespace: dict = {"__name__": "myapp.docs"}
    for block in snippet_blocks(PAGE):
        run_block(block, namespace)
    return namespace


def test_every_sample_runs(tmp_path):
    with DocProject(tmp_path, PAGE) as project:
        namespace = project.run_samples()
    assert {"StreamedLayout", "ProductView", "ShopLayout"} <= set(namespace)


async def test_streaming_samples_stream_as_described(restore_layout_registry):
    namespace = run_page()
    assert namespace["StreamedLayout"].streaming == "ordered"
    assert namespace["ProductView"].layout_streaming is None
    response = await namespace["product"](AsyncRequestFactory().get("/"))
    assert response.streaming
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert "<h1>Product</h1>" in body and "<djl-fill" in body
    assert namespace["ShopLayout"]._panels["slow"].eager is True

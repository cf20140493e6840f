"""docs/index.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.support import open_page

PAGE = "index.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_index_example(tmp_path, client):
    with open_page(PAGE, tmp_path):
        response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<aside><nav><a href='/'>Home</a></nav></aside>" in html
        assert "<main><h1>Welcome</h1></main>" in html
        assert client.get("/_panels/sidebar/").status_code == 403

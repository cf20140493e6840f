from django.urls import path, re_path

from sandbox.htmxdemo import views

app_name = "htmxdemo"

urlpatterns = [
    path("", views.store_home, name="store"),
    path("products/", views.products, name="products"),
    path("products/<slug:slug>/", views.product, name="product"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("docs/", views.docs_index, name="docs"),
    path("docs/<slug:slug>/", views.docs_page, name="docs-page"),
    path("toc/", views.toc, name="toc"),
    # Everything else under this prefix: a 404 shown inside the current layout.
    re_path(r"^.*$", views.not_found, name="not-found"),
]

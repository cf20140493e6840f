from django.apps import AppConfig


class WagtailDemoConfig(AppConfig):
    name = "sandbox.wagtaildemo"
    label = "wagtaildemo"
    verbose_name = "dj-layouts with Wagtail pages"

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from sandbox.wagtaildemo.panels import drop_site_map

        # The cached site map lists live pages: an editor's change shows on the next visit.
        page_published.connect(drop_site_map, dispatch_uid="wagtaildemo.site_map")
        page_unpublished.connect(drop_site_map, dispatch_uid="wagtaildemo.site_map")

"""``{% load dj_layouts %}``: the tags of ``{% load layouts %}`` under the package's own name.

``layouts`` stays for projects written for the existing package; ``dj_layouts``
cannot clash with another app's ``layouts`` library.
"""

from __future__ import annotations

from dj_layouts.templatetags.layouts import register

__all__ = ["register"]

# Varnish 7 configuration for dj-layouts behind a caching proxy (docs/panel-urls.md, "Edge").
#
# Django decides what may be kept; this file only carries it out:
# - panels marked load="edge" come back from the panel endpoint public (sitewide or
#   per-path cache) and are kept as their Cache-Control says; private ones never are;
# - a page is kept only when its layout has edge_page_timeout and Django offered it
#   (Surrogate-Control: max-age=N, sent only when the page read nothing of the visitor);
#   its per-visitor panels are <esi:include>s fetched on every visit, with the
#   visitor's cookies, and never kept;
# - every other page goes to Django on every request, as without a proxy.
vcl 4.1;

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
}

sub vcl_recv {
    # Tell Django this proxy composes ESI: edge panels and holes become <esi:include>.
    set req.http.Surrogate-Capability = "varnish=ESI/1.0";

    # Drop kept panels or pages, e.g. after invalidate_panel() or an edit:
    #   BAN /  with header  X-Ban-Panel: <panel name>   (edge panels)
    #   BAN /  with header  X-Ban-Layout: <layout key>  (pages kept by edge_page_timeout)
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        if (req.http.X-Ban-Panel) {
            ban("obj.http.DJ-Panel == " + req.http.X-Ban-Panel);
        }
        if (req.http.X-Ban-Layout) {
            ban("obj.http.DJ-Layout == " + req.http.X-Ban-Layout);
        }
        return (synth(200, "Banned"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.HX-Request) {
        # Per request: credentials, and htmx requests (partials, smart routing).
        return (pass);
    }
    # Looked up whatever the cookies: Django's answer decides below whether it may be
    # shared, and an answer that may not is never stored.
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Control ~ "ESI/1\.0") {
        set beresp.do_esi = true;
    }
    if (bereq.url ~ "^/_panels/") {
        unset beresp.http.Surrogate-Control;
        if (beresp.http.Cache-Control !~ "public" || beresp.http.Set-Cookie) {
            # A per-visitor panel (or a hole of a kept page): never stored, never shared.
            set beresp.uncacheable = true;
            set beresp.ttl = 120s;
            return (deliver);
        }
        # A public panel: kept for its Cache-Control max-age (Varnish's own rules).
        return (deliver);
    }
    if (beresp.status == 200 && beresp.http.Surrogate-Control ~ "max-age=[0-9]+"
            && !beresp.http.Set-Cookie) {
        # A page Django offered: the same for every visitor for max-age seconds.
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1") + "s", 0s);
        unset beresp.http.Surrogate-Control;
        return (deliver);
    }
    # Any other page is per visitor: never stored.
    unset beresp.http.Surrogate-Control;
    set beresp.uncacheable = true;
    set beresp.ttl = 120s;
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

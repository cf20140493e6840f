# Varnish 7 configuration for dj-layouts edge panels (docs/panel-urls.md, "Edge").
#
# Pages pass through to Django (they are per visitor) and announce ESI; Django answers
# with <esi:include> for the panels declared load="edge", which Varnish fetches from the
# panel endpoint and caches as their Cache-Control says: public for panels cached
# sitewide or per path, never for private ones.
vcl 4.1;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
}

sub vcl_recv {
    # Tell Django this proxy composes ESI: edge panels become <esi:include>.
    set req.http.Surrogate-Capability = "varnish=ESI/1.0";

    # Drop the cached edge panels, e.g. after invalidate_panel():
    #   BAN /  with header  X-Ban-Panel: <panel name>
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        ban("obj.http.DJ-Panel == " + req.http.X-Ban-Panel);
        return (synth(200, "Banned"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/_panels/") {
        # A panel fragment: look it up whatever the cookies; Django's Cache-Control
        # decides below whether it may be shared.
        return (hash);
    }
    # Pages are per visitor (sessions, CSRF tokens): never cached here.
    return (pass);
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Control ~ "ESI/1\.0") {
        unset beresp.http.Surrogate-Control;
        set beresp.do_esi = true;
    }
    if (bereq.url ~ "^/_panels/") {
        if (beresp.http.Cache-Control !~ "public" || beresp.http.Set-Cookie) {
            # A per-user or per-session panel: never stored, never shared.
            set beresp.uncacheable = true;
            set beresp.ttl = 120s;
            return (deliver);
        }
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

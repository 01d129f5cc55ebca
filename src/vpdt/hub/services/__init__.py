"""The hub's operations, one module per job; this package re-exports them for its callers.

- config: limits, the package store, new ids;
- message_log: the hash-chained log and the write lock every state change takes;
- registry: agencies, systems, downstream and upper hubs, authentication, routing;
- accept: taking a package in and queueing its deliveries;
- forwarding: the federation queue towards the upper hub;
- delivery: the receiving and sending sides of a system, retention;
- guard: the clock window, signatures accepted once, the record of refused requests.

Views, the CLI and the forwarder call `from vpdt.hub import services` and `services.accept(...)`.
"""

from vpdt.hub.services.accept import (  # noqa: F401
    Accepted,
    Refusal,
    _dedupe_key,
    _existing,
    _note_status,
    _package_fields,
    _queue,
    _read_edxml,
    _receivers,
    accept,
    accept_from_upstream,
    receive_body,
)
from vpdt.hub.services.config import (  # noqa: F401
    MiB,
    list_limit,
    max_package_bytes,
    new_doc_id,
    store,
)
from vpdt.hub.services.delivery import (  # noqa: F401
    _own_delivery,
    acknowledge,
    count_received,
    keep_done_days,
    open_delivery,
    own_delivery_join,
    prune_done,
    purge_delivered,
    received,
    sent,
)
from vpdt.hub.services.forwarding import (  # noqa: F401
    claim_forward,
    due_forwards,
    forward_failed,
    forwarded,
    package_path,
    wake_forwarder,
)
from vpdt.hub.services.guard import (  # noqa: F401
    check_fresh_and_once,
    prune_seen,
    purge_refused,
    record_refusal,
    refused,
)
from vpdt.hub.services.message_log import (  # noqa: F401
    GENESIS,
    LogCheck,
    _entry_fields,
    _entry_hash,
    _group,
    _GroupCommit,
    _lock_head,
    _run_batch,
    _Unit,
    _Writer,
    verify_log,
    write,
    write_grouped,
)
from vpdt.hub.services.registry import (  # noqa: F401
    Caller,
    Destination,
    _active_agencies,
    _owns,
    _route_of,
    _secret_cache,
    _upsert_system,
    add_agency,
    add_downstream,
    agencies,
    aliases,
    authenticate,
    code_level,
    delete_agency,
    generate_secret,
    get_upstream,
    grant_subtree,
    grants,
    register_agency,
    remove_agency,
    revoke_subtree,
    route,
    set_time_zone,
    set_upstream,
    subtree_suffix,
    synchronize_units,
    upstream_codes,
)

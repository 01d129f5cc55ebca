"""Handling of incoming documents and the drafting-to-release chain of outgoing ones.

Every operation checks who may do it (the `check_*` functions, also used to show the
buttons a person may press), keeps the invariants, changes a document's state only through
`records.services.set_state` (audit + signal) and writes the audit log. Views, the API and
the worker call these; nothing else writes workflow rows.

Internal delivery (release to a unit of the same agency): the released document itself is
shared with the receiving unit by a `DocumentAccess(unit=…, reason=UNIT)` row, its
`Recipient` goes to DELIVERED at once and the unit head is notified and may acknowledge
(ACCEPTED). No copy is made: one agency, one record. Recipients in other agencies stay
PENDING (Chờ gửi); `records.services.release` hands them, in the same transaction, to the
deliverer the exchange app registers (records.seams). Every write to records' tables goes
through records.services (delivery states through records.delivery.move).

The services are split by job: `incoming`, `outgoing`, `delegation`, `actions` (the buttons a
page shows), `common` (shared checks). Callers use `from vpdt.workflow import services` and
the names below.
"""

from vpdt.workflow.services.actions import (  # noqa: F401
    CHECKS,
    available_actions,
    deadline_status,
    get_extension,
    own_deadlines,
    pending_extensions,
    visible_or_raise,
)
from vpdt.workflow.services.bulk import (  # noqa: F401
    assign_many,
    check_finish_info,
    finish_info,
    finish_info_many,
)
from vpdt.workflow.services.common import (  # noqa: F401
    DRAFT_EXTENSIONS,
    HANDLING_STATES,
    role_holders,
    signing_services,
    unit_heads,
    unit_heads_of,
)
from vpdt.workflow.services.delegation import (  # noqa: F401
    delegate,
    revoke_delegation,
)
from vpdt.workflow.services.incoming import (  # noqa: F401
    assign,
    check_assign,
    check_complete,
    check_decide_extension,
    check_extension,
    check_opinion,
    check_reassign,
    check_submit,
    check_transfer_back,
    complete,
    decide_extension,
    give_opinion,
    my_assignment,
    open_submission_note,
    reassign,
    receive_paper,
    register,
    request_extension,
    return_to_sender,
    submit_to_leader,
    transfer_back,
)
from vpdt.workflow.services.outgoing import (  # noqa: F401
    DEFAULT_STEPS,
    UPDATABLE_AFTER_RELEASE,
    acknowledge,
    add_version,
    approve,
    chain_steps,
    check_acknowledge,
    check_after_release,
    check_edit_draft,
    check_issue_number,
    check_release,
    check_review,
    check_submit_review,
    create_draft,
    current_review,
    forward,
    is_signer_step,
    issue_number,
    recall,
    release,
    replace,
    send_back,
    set_recipients,
    submit_for_review,
    update_released,
)
from vpdt.workflow.services.reply import (  # noqa: F401
    check_reply,
    start_reply,
)

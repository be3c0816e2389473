"""The seed's per-send lifecycle flow as a python-statemachine chart, state for state, label for label.

The state ids are the seed's mermaid state names and every event's *name* is the seed's
transition label, so the chart can be compared edge by edge with ``model/seed_flow.mmd``
(``tests/test_chart.py``). Python identifiers of the events are snake_case forms of the labels.

An event the seed does not allow from the current state raises ``TransitionNotAllowed``
(``allow_event_without_transition = False``) instead of being silently ignored, as
StateChart would by default: such an event is a *chart gap* (SPEC §5), which must be seen.
Dispatch through the chart is slow; the simulator uses ``model.lifecycle.SEED_TABLE``.
"""

from __future__ import annotations

from statemachine import Event, State, StateChart


class SeedFlow(StateChart):
    """One send's lifecycle exactly as the seed's ``stateDiagram-v2`` draws it."""

    allow_event_without_transition = False

    SSEConnected = State("SSEConnected", initial=True)
    OptimisticUpdate = State("OptimisticUpdate")
    POSTSending = State("POSTSending")
    POSTSuccess = State("POSTSuccess")
    POSTFailed = State("POSTFailed")
    WaitingSSE = State("WaitingSSE")
    SSEReceived = State("SSEReceived")
    RollbackOptimistic = State("RollbackOptimistic")

    # Declared in the seed's mermaid order: model.lifecycle.SEED_EVENTS relies on it.
    user_sends_message = Event(
        SSEConnected.to(OptimisticUpdate), name="User sends message"
    )
    add_message_to_ui = Event(
        OptimisticUpdate.to(POSTSending), name="Add message to UI immediately"
    )
    backend_responds_200 = Event(POSTSending.to(POSTSuccess), name="Backend responds 200")
    backend_error = Event(POSTSending.to(POSTFailed), name="Backend error")
    post_logged = Event(POSTSuccess.to(WaitingSSE), name="POST logged, wait for SSE")
    remove_optimistic = Event(
        POSTFailed.to(RollbackOptimistic), name="Remove optimistic message"
    )
    sse_delivers = Event(WaitingSSE.to(SSEReceived), name="SSE delivers canonical state")
    ui_updated_from_sse = Event(SSEReceived.to(SSEConnected), name="UI updated from SSE")
    show_error_continue = Event(
        RollbackOptimistic.to(SSEConnected), name="Show error, continue"
    )

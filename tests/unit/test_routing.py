"""Routing and queue policy (pure)."""

from __future__ import annotations

from roles.routing import AgentState, anyone_available, pick_agent


def agent(jid, team="support", show=None, active=0, cap=3, idle=0.0):
    return AgentState(jid, team, show, active, cap, idle)


def test_least_busy_then_longest_idle():
    agents = [
        agent("a", active=2),
        agent("b", active=1, idle=50.0),
        agent("c", active=1, idle=10.0),
    ]
    assert pick_agent(agents, "support").jid == "c"


def test_team_availability_cap_and_passed_are_respected():
    agents = [
        agent("other-team", team="accounts"),
        agent("away", show="away"),
        agent("dnd", show="dnd"),
        agent("xa", show="xa"),
        agent("full", active=3, cap=3),
        agent("passed"),
        agent("eager", show="chat", active=1),
    ]
    assert pick_agent(agents, "support", passed={"passed"}).jid == "eager"
    assert pick_agent(agents, "support", passed={"passed", "eager"}) is None
    assert pick_agent(agents, "sales") is None


def test_anyone_available_ignores_cap_but_not_show():
    assert anyone_available([agent("full", active=3, cap=3)])
    assert not anyone_available([agent("a", show="away"), agent("b", show="dnd")])
    assert not anyone_available([])

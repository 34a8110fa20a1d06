"""Every alarm of the platform is tagged like every other child (`Name` = its resource name),
and notifies on recovery wherever it notifies on alarm."""

from __future__ import annotations

import pytest

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_alarm_is_tagged_with_its_name_and_reports_recovery(stack_plan, stack):
    alarms = [r for r in stack_plan(stack).resources if r.type == ALARM]
    # The web tier's three, the fan-out's two, the stream's two, the uploads' and the monitor's.
    assert len(alarms) >= 9
    for alarm in alarms:
        assert alarm.inputs["tags"]["Name"] == alarm.name
        assert alarm.inputs.get("okActions") == alarm.inputs.get("alarmActions"), alarm.name

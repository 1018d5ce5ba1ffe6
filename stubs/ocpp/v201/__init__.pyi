from ocpp.charge_point import ChargePoint as cp
from ocpp.v201 import call as call
from ocpp.v201 import call_result as call_result

class ChargePoint(cp): ...

from ocpp.charge_point import ChargePoint as _ChargePoint
from ocpp.v201 import call as call
from ocpp.v201 import call_result as call_result

class ChargePoint(_ChargePoint): ...

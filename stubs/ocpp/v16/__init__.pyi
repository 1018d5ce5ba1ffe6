from ocpp.charge_point import ChargePoint as _ChargePoint
from ocpp.v16 import call as call
from ocpp.v16 import call_result as call_result

class ChargePoint(_ChargePoint): ...

# Types for the parts of the `ocpp` package (2.x) the tests use; the package ships none. The
# message dataclasses stay Any (the call and call_result modules' __getattr__). A module of the
# package with no stub here is an import error, not Any: add it when a test starts to use it.

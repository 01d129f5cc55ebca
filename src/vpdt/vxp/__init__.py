"""The VXP library: the wire protocol of the national document axis and a client for it.

Plain Python (no Django, no other vpdt module; an import contract checks it), because both
sides speak it: the hub (`vpdt.hub`) reads and answers requests with `protocol`, and the
agency's exchange (`vpdt.exchange`), the hub's forwarder towards its upper hub, the tests
and the benchmarks send them with `client.VxpClient`.
"""

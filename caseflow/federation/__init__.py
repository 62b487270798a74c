"""Cross-agency matching without disclosure: private set intersection between installations.

`keys` (the installation's Ed25519 federation key), `messages` (the signed wire format shared
by the HTTPS and file transports), `psi` (openmined-psi, with checks on what a partner sends),
`protocol` (the five-step run, replay and limit rules) and `transport` (files and HTTPS).
These protocol modules import neither flask nor sqlalchemy: storage comes in through
`protocol.RunStore`, partners through `protocol.PartnerDirectory`, our selectors through
`protocol.Holdings`.
"""

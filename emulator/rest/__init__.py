"""Vertex AI's REST API, v1 and v1beta1, in front of the emulator's gRPC server.

So google-genai, the GAPIC REST transports and curl run against the emulator
unchanged. Each request is transcoded into a call of the gRPC server, so both
surfaces share one World: a job created over REST is seen over gRPC and the
other way round.

Layers, bottom up:
    errors                       Google's JSON errors, HTTP statuses for gRPC codes
    routes                       URL templates of Vertex's methods, from the GAPIC REST transports
    transcoding, versions        HTTP request -> request message; v1beta1 <-> v1
    gateway, api                 the call into gRPC; one request in, one answer out
    server                       HTTP on 127.0.0.1
"""

from emulator.rest.server import RestServer, build_rest_server

__all__ = ["RestServer", "build_rest_server"]

"""Request and response bodies of the HTTP API, as `msgspec.Struct`s.

Code-table fields use the domain's enums, so the OpenAPI schema lists the Chinese terms and a
wrong term is refused before any handler runs. Money travels as a decimal string ("1234.50").
Who recorded a fact is never part of a body: it comes from the caller's token.

One module per group of handlers: `commands`, `pushes`, `indicators`, `intake`, `views` (the
case file and history), `queries` (read-model pages); `common` holds the shared field types and
the base of request bodies (both from `application.commands.fields`) and the problem details of
an error. A household command's body is the command itself (`application.commands`).
"""

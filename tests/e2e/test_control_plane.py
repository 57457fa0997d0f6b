"""The control plane through the AWS CLI v2 and boto3: create, get, list, update, publish,
aliases, tags, account settings, delete — with Lambda's status codes and error shapes."""
import base64
import hashlib
import json
import subprocess

import botocore.exceptions
import pytest

from conftest import FUNCTIONS, ROLE, aws, create, invoke, unique, zip_bytes, zip_dir

PY_ZIP = None


def py_zip():
    global PY_ZIP
    if PY_ZIP is None:
        PY_ZIP = zip_dir(FUNCTIONS / "python")
    return PY_ZIP


def write_zip(tmp_path, data, name="fn.zip"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_cli_create_get_update_delete(server, tmp_path):
    name = unique("cli")
    z = write_zip(tmp_path, py_zip())
    _, created, _ = aws(server.endpoint, "lambda", "create-function", "--function-name", name,
                        "--runtime", "python3.11", "--handler", "handlers.echo", "--role", ROLE,
                        "--zip-file", f"fileb://{z}", "--timeout", "7", "--memory-size", "256",
                        "--environment", "Variables={AA=1,BB=2}", "--description", "first")
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(py_zip()).digest()).decode()
    assert created["CodeSize"] == len(py_zip())
    assert created["Timeout"] == 7 and created["MemorySize"] == 256
    assert created["Environment"] == {"Variables": {"AA": "1", "BB": "2"}}
    assert created["Version"] == "$LATEST"
    assert created["PackageType"] == "Zip"
    assert created["Architectures"] == ["x86_64"]
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    # This CLI's model predates LoggingConfig, so read that field off the wire.
    raw = json.loads(subprocess.run(
        ["curl", "-s", f"{server.endpoint}/2015-03-31/functions/{name}/configuration"],
        capture_output=True).stdout)
    assert raw["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert raw["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}
    assert created["LastModified"].endswith("+0000")

    # The waiter the CLI users rely on.
    aws(server.endpoint, "lambda", "wait", "function-active-v2", "--function-name", name)
    _, got, _ = aws(server.endpoint, "lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Code"]["RepositoryType"] == "S3"

    _, cfg, _ = aws(server.endpoint, "lambda", "update-function-configuration",
                    "--function-name", name, "--timeout", "9", "--environment",
                    "Variables={CC=3}")
    assert cfg["Timeout"] == 9
    assert cfg["MemorySize"] == 256  # unchanged fields stay
    assert cfg["Environment"] == {"Variables": {"CC": "3"}}  # the map is replaced
    assert cfg["RevisionId"] != created["RevisionId"]
    aws(server.endpoint, "lambda", "wait", "function-updated-v2", "--function-name", name)

    new_zip = zip_bytes({"handlers.py": "def echo(e, c):\n    return 'v2'\n"})
    z2 = write_zip(tmp_path, new_zip, "v2.zip")
    _, upd, _ = aws(server.endpoint, "lambda", "update-function-code", "--function-name", name,
                    "--zip-file", f"fileb://{z2}")
    assert upd["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    out = tmp_path / "out.json"
    aws(server.endpoint, "lambda", "invoke", "--function-name", name, str(out))
    assert json.loads(out.read_text()) == "v2"

    rc, _, _ = aws(server.endpoint, "lambda", "delete-function", "--function-name", name)
    assert rc == 0
    rc, _, err = aws(server.endpoint, "lambda", "get-function", "--function-name", name,
                     check=False)
    assert rc != 0 and "ResourceNotFoundException" in err


def test_cli_list_functions_paginates(server, lam):
    prefix = unique("page")
    names = [f"{prefix}-{i:02d}" for i in range(7)]
    for n in names:
        create(lam, n, "python3.11", "handlers.echo", py_zip())
    # The CLI follows NextMarker itself; --page-size makes it fetch in small pages.
    _, out, _ = aws(server.endpoint, "lambda", "list-functions", "--page-size", "2")
    listed = [f["FunctionName"] for f in out["Functions"]]
    assert [n for n in listed if n.startswith(prefix)] == names
    # boto3 paginator with a page size, checking NextMarker chaining explicitly.
    pages = list(lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 3}))
    assert all(len(p["Functions"]) <= 3 for p in pages)
    assert all("NextMarker" in p for p in pages[:-1])
    # List outputs omit State fields, as AWS does.
    assert "State" not in pages[0]["Functions"][0]
    first = lam.list_functions(MaxItems=2)
    assert len(first["Functions"]) == 2 and first["NextMarker"]
    nxt = lam.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert nxt["Functions"][0]["FunctionName"] > first["Functions"][-1]["FunctionName"]


def test_list_functions_all_versions(lam):
    name = unique("allv")
    create(lam, name, "python3.11", "handlers.echo", py_zip(), Publish=True)
    arns = [f["FunctionArn"] for f in
            lam.list_functions(FunctionVersion="ALL", MaxItems=1000)["Functions"]
            if f["FunctionName"] == name]
    assert arns == [f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
                    f"arn:aws:lambda:us-east-1:000000000000:function:{name}:1"]


def test_publish_versions_and_list_them(lam):
    name = unique("pub")
    fn = create(lam, name, "python3.11", "handlers.echo", py_zip())
    v1 = lam.publish_version(FunctionName=name, Description="one")
    assert v1["Version"] == "1" and v1["Description"] == "one"
    assert v1["FunctionArn"].endswith(f"{name}:1")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed
    lam.update_function_configuration(FunctionName=name, MemorySize=512)
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.publish_version(FunctionName=name, CodeSha256="not-the-sha")
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[0]["FunctionArn"].endswith(":$LATEST")
    assert versions[2]["MemorySize"] == 512 and versions[1]["MemorySize"] == 128
    got = lam.get_function_configuration(FunctionName=name, Qualifier="1")
    assert got["Version"] == "1" and got["CodeSha256"] == fn["CodeSha256"]


def test_create_with_publish(lam):
    r = create(lam, unique("cp"), "python3.11", "handlers.echo", py_zip(), Publish=True)
    assert r["Version"] == "1"


def test_aliases(server, lam):
    name = unique("alias")
    create(lam, name, "python3.11", "handlers.echo", py_zip())
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Description="2")
    lam.publish_version(FunctionName=name)
    a = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="d")
    assert a["AliasArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}:live"
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_alias(FunctionName=name, Name="123", FunctionVersion="1")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    up = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert up["FunctionVersion"] == "2"
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_alias(FunctionName=name, Name="live", FunctionVersion="1", RevisionId="stale")
    lam.create_alias(FunctionName=name, Name="beta", FunctionVersion="$LATEST")
    _, out, _ = aws(server.endpoint, "lambda", "list-aliases", "--function-name", name)
    assert sorted(x["Name"] for x in out["Aliases"]) == ["beta", "live"]
    only2 = lam.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]
    assert [x["Name"] for x in only2] == ["live"]
    r, body = invoke(lam, f"{name}:live")
    assert r["ExecutedVersion"] == "2"
    lam.delete_alias(FunctionName=name, Name="beta")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName=name, Name="beta")
    # A version an alias points to cannot be deleted.
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=name, Qualifier="2")


def test_weighted_alias_routes_both_versions(lam):
    name = unique("weights")
    create(lam, name, "python3.11", "handlers.echo", py_zip())
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Description="v2")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = {invoke(lam, f"{name}:canary")[0]["ExecutedVersion"] for _ in range(40)}
    assert seen == {"1", "2"}


def test_tags(server, lam):
    name = unique("tags")
    arn = create(lam, name, "python3.11", "handlers.echo", py_zip(), Tags={"a": "1"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2", "c": "3"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2", "c": "3"}
    aws(server.endpoint, "lambda", "untag-resource", "--resource", arn, "--tag-keys", "a", "c")
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"b": "2"}
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.tag_resource(Resource=arn + ":1", Tags={"x": "y"})


def test_names_arns_and_qualifiers_resolve_everywhere(lam):
    name = unique("arn")
    arn = create(lam, name, "python3.11", "handlers.echo", py_zip())["FunctionArn"]
    lam.publish_version(FunctionName=name)
    for ref in (name, arn, f"000000000000:function:{name}"):
        assert lam.get_function(FunctionName=ref)["Configuration"]["FunctionName"] == name
    assert lam.get_function(FunctionName=f"{arn}:1")["Configuration"]["Version"] == "1"
    assert lam.get_function_configuration(FunctionName=f"{name}:$LATEST")["Version"] == "$LATEST"
    r, _ = invoke(lam, f"{arn}:1")
    assert r["ExecutedVersion"] == "1"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.get_function(FunctionName=f"{name}:1", Qualifier="2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=f"arn:aws:lambda:eu-west-1:000000000000:function:{name}")


def test_delete_version_and_latest_rules(lam):
    name = unique("delv")
    create(lam, name, "python3.11", "handlers.echo", py_zip(), Publish=True)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name, Qualifier="1")
    assert lam.get_function(FunctionName=name)["Configuration"]["Version"] == "$LATEST"
    lam.delete_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)


def test_account_settings(server, lam):
    before = lam.get_account_settings()
    assert before["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert before["AccountLimit"]["ConcurrentExecutions"] == 1000
    create(lam, unique("acct"), "python3.11", "handlers.echo", py_zip())
    after = lam.get_account_settings()
    assert after["AccountUsage"]["FunctionCount"] == before["AccountUsage"]["FunctionCount"] + 1
    assert after["AccountUsage"]["TotalCodeSize"] > before["AccountUsage"]["TotalCodeSize"]


def test_bad_input_gets_lambdas_errors(lam):
    name = unique("bad")
    with pytest.raises(lam.exceptions.ResourceConflictException):
        create(lam, name, "python3.11", "handlers.echo", py_zip())
        create(lam, name, "python3.11", "handlers.echo", py_zip())
    cases = [
        (dict(Runtime="python3.11", Handler="h.h", Role="not-a-role"), "ValidationException"),
        (dict(Runtime="cobol", Handler="h.h", Role=ROLE), "ValidationException"),
        (dict(Runtime="java21", Handler="h.h", Role=ROLE), "InvalidParameterValueException"),
        (dict(Runtime="python3.11", Handler="h.h", Role=ROLE, Timeout=901), "ValidationException"),
        (dict(Runtime="python3.11", Handler="h.h", Role=ROLE, MemorySize=20000),
         "ValidationException"),
        (dict(Runtime="python3.11", Handler="h.h", Role=ROLE,
              Environment={"Variables": {"AWS_REGION": "x"}}), "InvalidParameterValueException"),
        (dict(Handler="h.h", Role=ROLE), "InvalidParameterValueException"),
        (dict(Runtime="python3.11", Handler="h.h", Role=ROLE,
              Environment={"Variables": {"BIG": "x" * 5000}}), "InvalidParameterValueException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam.create_function(FunctionName=unique("bad"), Code={"ZipFile": py_zip()}, **kwargs)
        assert e.value.response["Error"]["Code"] == code, kwargs
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function(FunctionName="x" * 65, Runtime="python3.11", Handler="h.h",
                            Role=ROLE, Code={"ZipFile": py_zip()})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=unique("bad"), Runtime="python3.11", Handler="h.h",
                            Role=ROLE, Code={"ZipFile": b"this is not a zip"})
    assert "Could not unzip uploaded file" in str(e.value)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName="does-not-exist")
    assert "Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist" \
        in str(e.value)
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId="stale")


def test_error_shape_on_the_wire(server):
    """The raw HTTP shape clients parse: header, status, body keys."""
    out = subprocess.run(["curl", "-s", "-i", f"{server.endpoint}/2015-03-31/functions/nope"],
                         capture_output=True).stdout.decode()
    head, body = out.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 404")
    assert "x-amzn-ErrorType: ResourceNotFoundException" in head
    assert "x-amzn-RequestId: " in head
    assert json.loads(body) == {"Type": "User", "Message":
                                "Function not found: arn:aws:lambda:us-east-1:000000000000:"
                                "function:nope"}


def test_validation_the_sdks_would_block_client_side(server):
    """Constraints botocore checks itself still hold for callers that skip it."""
    body = json.dumps({"FunctionName": unique("raw"), "Runtime": "python3.11", "Handler": "h.h",
                       "Role": ROLE, "MemorySize": 64,
                       "Code": {"ZipFile": base64.b64encode(py_zip()).decode()}})
    out = subprocess.run(["curl", "-s", "-i", "-X", "POST", "--data-binary", body,
                          f"{server.endpoint}/2015-03-31/functions"],
                         capture_output=True).stdout.decode()
    head, payload = out.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 400")
    assert "x-amzn-ErrorType: ValidationException" in head
    assert "greater than or equal to 128" in json.loads(payload)["message"]


def test_trailing_slash_list_path(server):
    out = subprocess.run(["curl", "-s", f"{server.endpoint}/2015-03-31/functions/"],
                         capture_output=True, text=True).stdout
    assert "Functions" in json.loads(out)


def test_get_function_code_location_downloads_the_zip(lam):
    name = unique("dl")
    create(lam, name, "python3.11", "handlers.echo", py_zip())
    loc = lam.get_function(FunctionName=name)["Code"]["Location"]
    data = subprocess.run(["curl", "-s", loc], capture_output=True).stdout
    assert data == py_zip()

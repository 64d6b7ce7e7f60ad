"""hvac (the Python Vault client) against a keyward server: VAULT_ADDR, VAULT_TOKEN (root).

Run by crates/keyward-server/tests/clients.rs; exits non-zero on the first failed check.
"""
import os

import hvac
import hvac.exceptions as exc

ADDR = os.environ["VAULT_ADDR"]
c = hvac.Client(url=ADDR, token=os.environ["VAULT_TOKEN"])
assert c.is_authenticated()
kv = c.secrets.kv.v2
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def raises(kind, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except kind as e:
        return e
    raise AssertionError(f"{fn.__name__} did not raise {kind.__name__}")


# write without and with cas, read current and older versions
r = kv.create_or_update_secret(path="app/db", secret={"password": "p1"})
check(r["data"]["version"] == 1, "first write is version 1")
r = kv.create_or_update_secret(path="app/db", secret={"password": "p2"}, cas=1)
check(r["data"]["version"] == 2, "cas write")
e = raises(exc.InvalidRequest, kv.create_or_update_secret, path="app/db", secret={"password": "x"}, cas=1)
check("check-and-set parameter did not match the current version" in str(e), f"cas mismatch message: {e}")
r = kv.read_secret_version(path="app/db", raise_on_deleted_version=True)
check(r["data"]["data"] == {"password": "p2"}, "read current")
r = kv.read_secret_version(path="app/db", version=1, raise_on_deleted_version=True)
check(r["data"]["data"]["password"] == "p1", "read version 1")
# patch (hvac: read + write with cas), list
kv.patch(path="app/db", secret={"user": "app"})
r = kv.read_secret_version(path="app/db", raise_on_deleted_version=True)
check(r["data"]["data"] == {"password": "p2", "user": "app"}, "patched")
check(r["data"]["metadata"]["version"] == 3, "patch wrote version 3")
kv.create_or_update_secret(path="app/nested/x", secret={"a": "b"})
check(kv.list_secrets(path="app")["data"]["keys"] == ["db", "nested/"], "list")
raises(exc.InvalidPath, kv.list_secrets, path="nothing")
# soft delete / undelete / destroy
kv.delete_latest_version_of_secret(path="app/db")
r = kv.read_secret_version(path="app/db", raise_on_deleted_version=False)
check(r["data"]["data"] is None and r["data"]["metadata"]["deletion_time"] != "", "deleted version body")
raises(exc.InvalidPath, kv.read_secret_version, path="app/db", raise_on_deleted_version=True)
kv.undelete_secret_versions(path="app/db", versions=[3])
check(kv.read_secret_version(path="app/db", raise_on_deleted_version=True)["data"]["data"]["user"] == "app", "undeleted")
kv.delete_secret_versions(path="app/db", versions=[2])
kv.destroy_secret_versions(path="app/db", versions=[1])
m = kv.read_secret_metadata(path="app/db")["data"]
check(m["versions"]["1"]["destroyed"] is True, "destroyed flag")
check(m["versions"]["2"]["deletion_time"] != "", "version 2 deleted")
check(m["current_version"] == 3 and m["oldest_version"] == 1, "metadata versions")
# metadata
kv.update_metadata(path="app/db", custom_metadata={"owner": "web"}, max_versions=5)
m = kv.read_secret_metadata(path="app/db")["data"]
check(m["custom_metadata"] == {"owner": "web"} and m["max_versions"] == 5, "metadata update")
kv.delete_metadata_and_all_versions(path="app/nested/x")
raises(exc.InvalidPath, kv.read_secret_version, path="app/nested/x", raise_on_deleted_version=True)
# config
kv.configure(max_versions=20)
check(kv.read_configuration()["data"]["max_versions"] == 20, "engine config")

# tokens: lookup, create with a restricted policy, renew, revoke
check(c.auth.token.lookup_self()["data"]["policies"] == ["root"], "root lookup")
c.sys.create_or_update_policy(
    name="app-read",
    policy='path "secret/data/app/*" { capabilities = ["read"] }\npath "secret/metadata/app/*" { capabilities = ["list"] }',
)
check("app-read" in c.sys.list_policies()["data"]["policies"], "policy listed")
created = c.auth.token.create(policies=["app-read"], ttl="1h")
t = created["auth"]["client_token"]
check(t.startswith("kwt_") and created["auth"]["lease_duration"] == 3600, "child token")
child = hvac.Client(url=ADDR, token=t)
info = child.auth.token.lookup_self()["data"]
check(info["policies"] == ["default", "app-read"] and isinstance(info["ttl"], int), "child lookup")
check(child.auth.token.renew_self(increment="2h")["auth"]["lease_duration"] == 7200, "renew-self")
check(child.secrets.kv.v2.read_secret_version(path="app/db", raise_on_deleted_version=True)["data"]["data"]["user"] == "app", "allowed read")
raises(exc.Forbidden, child.secrets.kv.v2.create_or_update_secret, path="app/db", secret={"password": "evil"})
raises(exc.Forbidden, child.secrets.kv.v2.read_secret_version, path="other/x", raise_on_deleted_version=True)
accessor = created["auth"]["accessor"]
check(accessor in c.auth.token.list_accessors()["data"]["keys"], "accessor listed")
check(c.auth.token.lookup(t)["data"]["accessor"] == accessor, "lookup by token")
child.auth.token.revoke_self()
check(not child.is_authenticated(), "revoked token refused")
t2 = c.auth.token.create(policies=["app-read"], ttl="1h")["auth"]["client_token"]
c.auth.token.revoke(t2)
check(not hvac.Client(url=ADDR, token=t2).is_authenticated(), "revoke by token")

# sys
check(c.sys.read_health_status(method="GET")["sealed"] is False, "health")
check(c.sys.read_health_status().status_code == 200, "health HEAD")
check(c.sys.list_mounted_secrets_engines()["secret/"]["options"]["version"] == "2", "mounts")
check(not c.sys.is_sealed(), "seal status")
print(f"hvac: {checks} checks passed")

#!/usr/bin/env python3
"""Generate N Kubernetes objects for scripts/bench-infra.sh: a realistic mix of workloads
(Deployments, StatefulSets, CronJobs with init containers), Services, ConfigMaps,
NetworkPolicies (matchLabels and matchExpressions) and RBAC (Roles, ClusterRoles with
aggregation, bindings), across 20 namespaces, 100 objects per file, `---`-separated.

Usage: bench-infra-gen.py DIR [N]
"""
import os
import sys

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: {ns}
  labels: {{app: app-{i}, tier: {tier}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}, tier: {tier}}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        fsGroup: 1000
        seccompProfile: {{type: RuntimeDefault}}
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:{i}.0
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {{drop: [ALL]}}
      containers:
        - name: app
          image: registry.example.com/app-{i}{tag}
          env:
            - name: DATABASE_URL
              value: postgresql://app@db-{i}:5432/app{ssl}
            - name: LOG_LEVEL
              value: info
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {{name: app-{i}, key: token}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: false
            capabilities:
              drop: [ALL]
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: {ns}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
  namespace: {ns}
data:
  CORS_ORIGINS: https://app-{i}.example.com
  FEATURE_FLAGS: a,b,c
  application.yaml: |
    server:
      port: 8080
    cors:
      allowed-origins: ["https://app-{i}.example.com"]
"""
NETPOL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: tier-{i}
  namespace: {ns}
spec:
  podSelector:
    matchExpressions:
      - {{key: tier, operator: In, values: [{tier}]}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{{podSelector: {{matchLabels: {{app: gateway}}}}}}]
      ports: [{{port: 8080}}]
  egress:
    - to: [{{podSelector: {{matchLabels: {{app: db}}}}}}]
      ports: [{{port: 5432}}]
"""
ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader-{i}
  labels: {{bench.example.com/aggregate-to-reader: "true"}}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list]
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get]
"""
BINDING = """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: app-{i}
  namespace: {ns}
roleRef: {{kind: ClusterRole, name: {role}}}
subjects:
  - {{kind: ServiceAccount, name: app-{i}}}
"""
KINDS = [DEPLOY, SERVICE, CONFIG, DEPLOY, NETPOL, SERVICE, ROLE, BINDING, CONFIG, DEPLOY]


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    os.makedirs(out, exist_ok=True)
    docs = []
    for i in range(n):
        t = KINDS[i % len(KINDS)]
        # NetworkPolicies land in the namespaces of the workloads around them.
        ns = f"team-{(i - 1) % 20}" if t is NETPOL else f"team-{i % 20}"
        docs.append(t.format(
            i=i, ns=ns, tier=["web", "api", "worker"][i % 3],
            tag="" if i % 97 == 0 else f":{i % 7}.{i % 5}.1",
            ssl="" if i % 13 == 0 else "?sslmode=require",
            role="aggregate-reader" if i % 50 == 7 else f"reader-{i - 1}",
        ))
    docs.append("""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: aggregate-reader
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {bench.example.com/aggregate-to-reader: "true"}
rules: []
""")
    for f in range(0, len(docs), 100):
        with open(os.path.join(out, f"objects-{f // 100:04}.yaml"), "w") as fh:
            fh.write("---\n".join(docs[f:f + 100]))
    print(f"{len(docs)} objects in {(len(docs) + 99) // 100} files under {out}")


if __name__ == "__main__":
    main()

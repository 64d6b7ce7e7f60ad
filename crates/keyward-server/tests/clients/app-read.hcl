path "secret/data/app/production/*" {
  capabilities = ["read"]
}
path "secret/metadata/app/production/" {
  capabilities = ["list"]
}

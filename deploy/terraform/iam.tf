# The CCM's identity in GCE: a service account holding one custom role with
# exactly the compute permissions its calls need (derived from the wrappers
# in providers/gce/gceapi; deploy/README.md has the table with the method
# behind each). The e2e suite checks it against the permissions the CCM's
# calls needed in every scenario (test/e2e/iam_test.go): one used but not
# listed here fails it; one listed but not used is reported, and
# deploy/README.md says why it is kept. The control-plane VM runs as this account, and the CCM reads
# its token from the metadata server.
#
# Behind var.create_iam: with false, none of these resources exist (the
# emulator used by the e2e proof serves no IAM API).

locals {
  ccm_permissions = sort([
    # --- Node metadata (InstancesV2, Zones) and the ipforward controller ---
    "compute.instances.get",    # instances.get: a node's VM by providerID
    "compute.instances.list",   # instances.list (a name in a zone) and instances.aggregatedList (ipforward)
    "compute.instances.update", # instances.update: canIpForward=true (ipforward, mode enforce)
    "compute.zones.list",       # zones.list: the region's zones at start-up (multizone)

    # --- Routes (route controller) ---
    "compute.routes.list",           # routes.list: the cluster's routes
    "compute.routes.get",            # routes.get: one route by name after a conflict
    "compute.routes.create",         # routes.insert
    "compute.routes.delete",         # routes.delete
    "compute.networks.updatePolicy", # on the network: routes.insert/delete, firewalls.insert/patch/delete

    # --- Network load balancer (service controller) ---
    "compute.addresses.list",   # addresses.list
    "compute.addresses.create", # addresses.insert (EXTERNAL): the Service's reserved IP
    "compute.addresses.delete", # addresses.delete
    "compute.addresses.use",    # forwardingRules.insert with a reserved IPAddress

    "compute.firewalls.get",    # firewalls.get
    "compute.firewalls.list",   # firewalls.list
    "compute.firewalls.create", # firewalls.insert: k8s-fw-<lb>, the health-check rules
    "compute.firewalls.update", # firewalls.patch: source ranges or ports changed
    "compute.firewalls.delete", # firewalls.delete

    "compute.httpHealthChecks.get",         # httpHealthChecks.get
    "compute.httpHealthChecks.list",        # httpHealthChecks.list
    "compute.httpHealthChecks.create",      # httpHealthChecks.insert
    "compute.httpHealthChecks.update",      # httpHealthChecks.update
    "compute.httpHealthChecks.delete",      # httpHealthChecks.delete
    "compute.httpHealthChecks.useReadOnly", # targetPools.insert/addHealthCheck naming a check

    "compute.targetPools.list",              # targetPools.list
    "compute.targetPools.create",            # targetPools.insert
    "compute.targetPools.delete",            # targetPools.delete
    "compute.targetPools.addInstance",       # targetPools.addInstance
    "compute.targetPools.removeInstance",    # targetPools.removeInstance
    "compute.targetPools.addHealthCheck",    # targetPools.addHealthCheck
    "compute.targetPools.removeHealthCheck", # targetPools.removeHealthCheck
    "compute.targetPools.use",               # forwardingRules.insert/setTarget pointing at a pool
    "compute.instances.use",                 # targetPools.insert/addInstance naming node VMs

    "compute.forwardingRules.get",       # forwardingRules.get
    "compute.forwardingRules.list",      # forwardingRules.list
    "compute.forwardingRules.create",    # forwardingRules.insert
    "compute.forwardingRules.delete",    # forwardingRules.delete
    "compute.forwardingRules.setTarget", # forwardingRules.setTarget
    "compute.forwardingRules.update",    # forwardingRules.patch: allowGlobalAccess of an internal rule

    # --- Internal load balancers (providers/gce/lb/ilb) ---
    "compute.instanceGroups.list",          # instanceGroups.list, instanceGroups.listInstances
    "compute.instanceGroups.create",        # instanceGroups.insert: k8s-ig--<cluster-id> per zone
    "compute.instanceGroups.delete",        # instanceGroups.delete: the last internal Service gone
    "compute.instanceGroups.update",        # instanceGroups.addInstances/removeInstances
    "compute.instanceGroups.use",           # regionBackendServices.insert/patch naming the groups
    "compute.regionBackendServices.list",   # regionBackendServices.list
    "compute.regionBackendServices.create", # regionBackendServices.insert
    "compute.regionBackendServices.update", # regionBackendServices.patch: check, affinity, groups
    "compute.regionBackendServices.delete", # regionBackendServices.delete
    "compute.regionBackendServices.use",    # forwardingRules.insert sending to a backend service
    "compute.healthChecks.list",            # healthChecks.list
    "compute.healthChecks.create",          # healthChecks.insert
    "compute.healthChecks.update",          # healthChecks.update
    "compute.healthChecks.delete",          # healthChecks.delete
    "compute.healthChecks.useReadOnly",     # regionBackendServices.insert/patch naming a check
    "compute.subnetworks.get",              # subnetworks.get: the Service's or the cluster's subnetwork
    "compute.subnetworks.list",             # subnetworks.list: the network's subnetwork in the region
    "compute.subnetworks.use",              # forwardingRules.insert and addresses.insert (INTERNAL) in it
    "compute.networks.use",                 # instanceGroups.insert and forwardingRules.insert naming the network
    "compute.addresses.createInternal",     # addresses.insert (INTERNAL): the TCP+UDP shared IP
    "compute.addresses.deleteInternal",     # addresses.delete of that address
    "compute.addresses.useInternal",        # forwardingRules.insert with an internal address

    # --- Operations: the shared waiter (operations.wait needs .get; one
    # operations.list filtered by name polls several at once) ---
    "compute.globalOperations.get",
    "compute.globalOperations.list",
    "compute.regionOperations.get",
    "compute.regionOperations.list",
    "compute.zoneOperations.get",
    "compute.zoneOperations.list",
  ])
}

resource "google_service_account" "ccm" {
  count        = var.create_iam ? 1 : 0
  account_id   = "${var.name}-ccm"
  display_name = "gce-cloud-controller-manager of ${var.name}"
  description  = "Runs gce-cloud-controller-manager on the control-plane VM of ${var.name}."
}

resource "google_project_iam_custom_role" "ccm" {
  count       = var.create_iam ? 1 : 0
  role_id     = replace("${var.name}_ccm", "-", "_")
  title       = "gce-cloud-controller-manager (${var.name})"
  description = "Exactly the Compute Engine permissions gce-cloud-controller-manager calls: routes, node VMs, network load balancers, operations."
  permissions = local.ccm_permissions
}

resource "google_project_iam_member" "ccm" {
  count   = var.create_iam ? 1 : 0
  project = var.project
  role    = google_project_iam_custom_role.ccm[0].id
  member  = "serviceAccount:${google_service_account.ccm[0].email}"
}

locals {
  vms = concat(
    [{
      name = google_compute_instance.control_plane.name
      zone = google_compute_instance.control_plane.zone
      role = "control-plane"
      ip   = google_compute_instance.control_plane.network_interface[0].network_ip
    }],
    [for vm in google_compute_instance.node : {
      name = vm.name
      zone = vm.zone
      role = "node"
      ip   = vm.network_interface[0].network_ip
    }],
  )

  # The CCM's --cloud-config. api-endpoint only when terraform itself was
  # pointed elsewhere (an emulator): then the CCM must talk to the same API.
  gce_conf = join("\n", compact([
    "[global]",
    "project-id = ${var.project}",
    "local-zone = ${var.zones[0]}",
    "multizone = true",
    "network-name = ${google_compute_network.cluster.name}",
    "subnetwork-name = ${google_compute_subnetwork.nodes.name}",
    "node-tags = ${local.node_tag}",
    var.compute_endpoint == null ? "" : "api-endpoint = ${var.compute_endpoint}",
    "",
  ]))
}

output "cluster_name" {
  description = "The cluster name the CCM must run with (--cluster-name)."
  value       = var.name
}

output "cluster_cidr" {
  description = "The pod range the CCM must run with (--cluster-cidr)."
  value       = var.cluster_cidr
}

output "gce_conf" {
  description = "gce.conf for the CCM: the ConfigMap gce-cloud-config of a kustomize overlay (deploy/README.md)."
  value       = local.gce_conf
}

output "network" {
  description = "The VPC's name and self link."
  value = {
    name      = google_compute_network.cluster.name
    self_link = google_compute_network.cluster.self_link
  }
}

output "subnetwork" {
  description = "The node subnet's name and self link."
  value = {
    name      = google_compute_subnetwork.nodes.name
    self_link = google_compute_subnetwork.nodes.self_link
  }
}

output "node_tag" {
  description = "The network tag on every cluster VM."
  value       = local.node_tag
}

output "control_plane" {
  description = "The control-plane VM: name, zone and internal IP."
  value       = local.vms[0]
}

output "node_names" {
  description = "Names of the node VMs (= their Kubernetes Node names)."
  value       = google_compute_instance.node[*].name
}

output "nodes" {
  description = "Every cluster VM, control plane first: name, zone, role, internal IP and the providerID its Node gets (gce://project/zone/name)."
  value = [for vm in local.vms : merge(vm, {
    provider_id = "gce://${var.project}/${vm.zone}/${vm.name}"
  })]
}

output "ccm_service_account" {
  description = "The service account the control-plane VM (and so the CCM) runs as; null when there is none."
  value       = local.ccm_service_account
}

output "ccm_role" {
  description = "The CCM's custom role id and its permissions (null id when create_iam = false)."
  value = {
    id          = var.create_iam ? google_project_iam_custom_role.ccm[0].id : null
    permissions = local.ccm_permissions
  }
}

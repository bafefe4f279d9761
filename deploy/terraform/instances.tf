locals {
  control_plane_name = "${var.name}-control-plane"
  node_names         = [for i in range(var.node_count) : format("%s-node-%d", var.name, i)]
  # The account the control-plane VM runs as: the CCM reads its credentials
  # from the metadata server there.
  ccm_service_account = var.create_iam ? google_service_account.ccm[0].email : var.ccm_service_account_email
}

# The control-plane VM: kube-apiserver, kube-controller-manager, the
# scheduler and the CCM (deploy/kustomize runs it on control-plane nodes).
# It is a node too (it runs the CCM's pod, maybe others), so it forwards.
resource "google_compute_instance" "control_plane" {
  name           = local.control_plane_name
  zone           = var.zones[0]
  machine_type   = var.control_plane_machine_type
  can_ip_forward = true
  tags           = [local.node_tag, "${var.name}-control-plane"]
  labels = {
    cluster = var.name
    role    = "control-plane"
  }

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
  }

  dynamic "service_account" {
    for_each = local.ccm_service_account == null ? [] : [local.ccm_service_account]
    content {
      email  = service_account.value
      scopes = ["cloud-platform"]
    }
  }

  depends_on = [google_project_iam_member.ccm]
}

# Node VMs, round robin over var.zones. can_ip_forward: a pod's packets
# leave the VM with the pod's source IP, which GCE drops otherwise (the
# CCM's ipforward controller checks it too).
resource "google_compute_instance" "node" {
  count          = var.node_count
  name           = local.node_names[count.index]
  zone           = var.zones[count.index % length(var.zones)]
  machine_type   = var.node_machine_type
  can_ip_forward = true
  tags           = [local.node_tag]
  labels = {
    cluster = var.name
    role    = "node"
  }

  boot_disk {
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
  }
}

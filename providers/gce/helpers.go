package gce

import (
	"errors"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

func everything() labels.Selector { return labels.Everything() }

func asGCE(err error, target **gceapi.Error) bool { return errors.As(err, target) }

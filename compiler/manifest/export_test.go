package manifest

// FastYAML encodes content with the specialised encoder alone; false when it would leave
// content to yaml.v2.
var FastYAML = fast

namespace NodeImager.Core.Tests.Remote;

/// <summary>A sample of kubeadm's /etc/kubernetes/admin.conf (certificate data shortened), as a master holds it: the
/// server is the master's private address. Linked into the AWS tests, whose loopback master serves it.</summary>
public static class KubeadmAdminConf
{
    public const string Text = """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
            server: https://10.0.1.5:6443
          name: kubernetes
        contexts:
        - context:
            cluster: kubernetes
            user: kubernetes-admin
          name: kubernetes-admin@kubernetes
        current-context: kubernetes-admin@kubernetes
        kind: Config
        preferences: {}
        users:
        - name: kubernetes-admin
          user:
            client-certificate-data: Q0xJRU5UIENFUlQK
            client-key-data: Q0xJRU5UIEtFWQo=

        """;
}

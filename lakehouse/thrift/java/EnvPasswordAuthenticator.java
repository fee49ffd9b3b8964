/*
 * HiveServer2 CUSTOM authentication for the lakehouse's Spark Thrift Server: one user name and
 * password, read from the server process's environment (LAKEHOUSE_THRIFT_USER and
 * LAKEHOUSE_THRIFT_PASSWORD), never from a command line or a configuration file.
 *
 * `lakehouse thrift start` compiles this file with javac into the jar cache the first time the
 * password mode is used, and starts the server with
 *   hive.server2.authentication=CUSTOM
 *   hive.server2.custom.authentication.class=lakehouse.auth.EnvPasswordAuthenticator
 * Clients authenticate with SASL PLAIN (PyHive/dbt-spark `auth: CUSTOM`, beeline `-n -p`).
 */
package lakehouse.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

public final class EnvPasswordAuthenticator implements PasswdAuthenticationProvider {
    static final String USER_VARIABLE = "LAKEHOUSE_THRIFT_USER";
    static final String PASSWORD_VARIABLE = "LAKEHOUSE_THRIFT_PASSWORD";

    private final byte[] expectedUser;
    private final byte[] expectedPassword;

    public EnvPasswordAuthenticator() {
        String user = System.getenv(USER_VARIABLE);
        String password = System.getenv(PASSWORD_VARIABLE);
        if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
            // Refuse everyone rather than accept anyone.
            throw new IllegalStateException(
                    USER_VARIABLE + " and " + PASSWORD_VARIABLE + " must be set in the server's environment");
        }
        this.expectedUser = digest(user);
        this.expectedPassword = digest(password);
    }

    @Override
    public void Authenticate(String user, String password) throws AuthenticationException {
        // Compare digests in constant time; never log or echo what the client sent.
        boolean userMatches = user != null && MessageDigest.isEqual(digest(user), expectedUser);
        boolean passwordMatches =
                password != null && MessageDigest.isEqual(digest(password), expectedPassword);
        if (!(userMatches & passwordMatches)) {
            throw new AuthenticationException("invalid user name or password");
        }
    }

    private static byte[] digest(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}

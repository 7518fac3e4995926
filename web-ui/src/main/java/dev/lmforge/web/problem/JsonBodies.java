package dev.lmforge.web.problem;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The REST API's JSON request bodies: strings free of NUL ({@link NulFreeStrings}), and a body Jackson cannot
 * bind answered as a 400 problem naming the field, instead of Quarkus' own error format.
 */
@Singleton
public class JsonBodies implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(NulFreeStrings.MODULE);
    }

    /** Outranks Quarkus' built-in mapper for the same exception, which answers in its own format. */
    @ServerExceptionMapper(priority = Priorities.USER - 1)
    public Response mismatched(MismatchedInputException e, UriInfo uri) {
        String field = fieldOf(e, "body");
        return ProblemMapper.problem(400, "Bad Request", field + ": " + e.getOriginalMessage(),
                List.of(new ProblemException.FieldError(field, e.getOriginalMessage())), uri);
    }

    /** {@code corpus.sources[0].path} from Jackson's reference chain, or {@code whole} for the document itself. */
    public static String fieldOf(JsonMappingException e, String whole) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? whole : sb.toString();
    }
}

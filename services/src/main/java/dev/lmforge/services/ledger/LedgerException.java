package dev.lmforge.services.ledger;

import java.sql.SQLException;

/** A ledger read or write failed in PostgreSQL. */
public class LedgerException extends RuntimeException {

    public LedgerException(SQLException cause) {
        super("ledger: " + cause.getMessage(), cause);
    }

    public LedgerException(String message) {
        super(message);
    }
}

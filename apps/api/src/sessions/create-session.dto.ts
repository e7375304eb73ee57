import { CodePointLength } from '@consentry/validation';
import { IsString, Matches } from 'class-validator';

/** Two-factor sign-in: password and a TOTP code. */
export class CreateSessionDto {
  @IsString()
  @CodePointLength(1, 128)
  username!: string;

  @IsString()
  @CodePointLength(1, 256)
  password!: string;

  @IsString()
  @Matches(/^\d{6}$/, { message: 'otp must be a 6-digit code' })
  otp!: string;
}
